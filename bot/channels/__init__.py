"""The channel seam: neutral messages in and out, and what each messenger can show.

Nothing here imports the handlers, the flows or a messenger's library: ``outgoing`` and ``inbound`` are plain
data, ``capabilities`` knows each channel's limits and renders choices within them, and each channel's own
package (``whatsapp/``) turns the neutral form into its wire format and back.
"""
