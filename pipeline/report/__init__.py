"""`prep report`: the profile of a dataset, rendered for the terminal, JSON and a self-contained HTML page."""
