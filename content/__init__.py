"""Everything the bot says and every clinical definition it uses, as validated data files.

Use :func:`get_content` to obtain the loaded, validated :class:`Content`.
"""

from content.loader import Content, ContentError, get_content

__all__ = ["Content", "ContentError", "get_content"]
