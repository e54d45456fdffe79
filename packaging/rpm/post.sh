# connect-capacity %post: a unit reload; the timer is never enabled here.
if [ -d /run/systemd/system ]; then systemctl daemon-reload || :; fi
exit 0
