"""The Slack adapter: slash command, buttons, modals and App Home on slack-bolt's AsyncApp."""
