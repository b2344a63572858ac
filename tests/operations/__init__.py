"""Tests of running the site: settings, mail, faults, backup, the demo."""
