"""Publishing: the podcast feed and its cover art."""
