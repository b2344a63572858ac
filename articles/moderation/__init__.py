"""The editorial workflow and the review desk where staff move stories through it."""
