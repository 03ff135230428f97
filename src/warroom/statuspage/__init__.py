"""The public status page: components, public incidents and updates, subscribers."""
