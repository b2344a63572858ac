"""The editorial workflow and the review queues where staff move stories through it."""
