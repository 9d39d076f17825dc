"""Everything the bot says and every clinical definition it uses, as validated data files.

Use :func:`get_content` to obtain the loaded, validated :class:`Content`; see ``content/loader.py``
for the whole API.
"""

from content.errors import ContentError
from content.loader import Content, get_content, load_content

__all__ = ["Content", "ContentError", "get_content", "load_content"]
