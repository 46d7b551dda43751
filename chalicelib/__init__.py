"""podcasto: everything that ships to Lambda. See README.md for the map."""
