"""`prep lint`: rules over a dataset and the loss it is meant for; see `registry` for the rules."""
