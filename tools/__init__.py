"""Developer tools run by make targets and CI (not part of the installed package)."""
