"""Hand-off to intake staff: tickets, replies through the resident's channel, hand-back to the bot."""
