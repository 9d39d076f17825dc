"""The WhatsApp Cloud API adapter: configuration, the HTTP client, the webhook, the 24-hour window, wa.me links.

Reference: Meta's WhatsApp Cloud API documentation
(https://developers.facebook.com/documentation/business-messaging/whatsapp/), cited per module.
"""
