"""The core's use cases, one module per area; the Dispatcher routes commands to them."""
