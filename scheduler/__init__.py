"""The per-minute tick that asks the core what is due and hands replies to publishers."""
