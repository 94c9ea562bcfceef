"""Tests of the Slack adapter against a local fake of Slack."""
