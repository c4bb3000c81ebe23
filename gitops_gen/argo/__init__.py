"""Argo CD: Applications and ApplicationSets found in a repository, rendered as Argo CD would."""
