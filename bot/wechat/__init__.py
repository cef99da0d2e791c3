"""WeChat Official Account (公众号) protocol pieces that do not depend on Rasa.

- config: the account's settings (token, AppID, AppSecret, EncodingAESKey, message mode);
- protocol: verifying, decrypting and parsing what WeChat posts, and encoding passive replies;
- inbound: what to do with each kind of message or event;
- text: WeChat's text limits, plain text, numbered options for buttons;
- store: what every worker shares (retried message ids, the access token), in the database or Redis;
- api: the customer-service and menu APIs with a shared, refreshed access token;
- outbox: pushing stored staff replies and status notices;
- menu: the custom menu and `python -m bot.wechat.menu publish`;
- simulator: builds requests exactly as WeChat signs and encrypts them (tests, bench, by hand).
The Rasa input channel itself is bot/channels/wechat.py.
"""
