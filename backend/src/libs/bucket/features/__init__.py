"""Work over any ``ObjectStore``, above the engines: many objects at once (``batch``),
store-to-store and folder sync (``sync``, ``folder_sync``) and evidence bundles
(``bundles``). Nothing here imports an engine."""
