"""The stages of `prep run`: encode, index, mine (select), lay out, write."""
