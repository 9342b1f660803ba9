"""``python -m derive check NOTE.md``: verify a derivation as people write it."""
