"""Tests of the workflow and the review queues."""
