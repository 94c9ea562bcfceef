"""The Discord adapter: slash commands, buttons and modals, embeds, and a paced publisher."""
