local _ = require("gettext")
return {
    fullname = _("BookLore Sync"),
    description = _([[Records reading sessions, ratings and highlights and uploads them to a BookLore server. Works offline: everything is queued and synced when Wi-Fi returns.]]),
}
