"""The words of the pages: one module per page, numbers through depthkit.core.fmt."""
