"""The Slack rig (a real Bolt app over HTTP and a fake Web API) for the HTTP edge tests."""

from __future__ import annotations

from tests.slack.conftest import fake, rig

__all__ = ["fake", "rig"]
