"""Rule packs: reviewed data files, one folder per jurisdiction."""
