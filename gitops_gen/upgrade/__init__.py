"""EKS upgrade readiness from Git: the per-hop check (`check`) and the API rewrite (`fix`)."""
