"""Argo CD: Applications and ApplicationSets found in a repository, rendered as Argo CD would."""

ARGO_MARK = "argoproj.io"
"""In the text of every file with an Argo CD object (or a cluster Secret's label): only those
are parsed (argo.scan), and the Argo CD modules are imported only for them."""
