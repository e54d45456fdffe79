# connect-capacity %postun: forget removed units. The user and /var/lib/connect-capacity
# (the administrator's exports, reports and history) stay.
if [ -d /run/systemd/system ]; then systemctl daemon-reload || :; fi
exit 0
