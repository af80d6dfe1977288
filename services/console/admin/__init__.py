"""Administration pages (``/konsol/admin/...``): accounts, reference data, routing rules,
holiday overrides, reply templates, local apps. Each page calls the admin API's own
service functions and admits the API's own roles."""
