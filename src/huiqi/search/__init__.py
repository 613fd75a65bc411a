"""Search: Chinese word segmentation with a domain dictionary and synonyms, BM25 ranking, cited hits."""
