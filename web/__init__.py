"""`antrean web`: the hall's web face. A station like the kiosk or the board (its own token of
the read-only `web` role, its own replica), serving visitors' ticket pages, the board in a
browser, the screens above the loket and a status overview over HTTP from that replica. No Qt."""
