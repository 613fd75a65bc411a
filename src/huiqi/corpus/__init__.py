"""Corpus: the shipped source documents, parsed into documents, provisions and compilation entries."""
