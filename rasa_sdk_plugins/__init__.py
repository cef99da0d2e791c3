"""rasa_sdk's plugin package (the name rasa_sdk looks for, since rasa-sdk 3.6): the action server
(`python -m rasa_sdk --actions actions`, run from the project's root) loads the hooks below."""
from __future__ import annotations

import pluggy


def init_hooks(manager: pluggy.PluginManager) -> None:
    from bot.channels import action_guard

    manager.register(action_guard)
