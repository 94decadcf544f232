"""Personal data (PIPL): full ID numbers shown only on an audited request, a household's
export of what is held about it, and how long photos of rejected reports are kept."""
