"""Lambda handlers deployed by the example pipes stack (packaged one file per function)."""
