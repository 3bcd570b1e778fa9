# Headless Chromium and its WebDriver, Debian's chromium and chromium-driver, for the dashboard's
# browser tests (tests/it/dashboard/). CI runs as root; installed once, found again afterwards.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
OFFCLOUD_CHROMIUM="$(command -v chromium)"
OFFCLOUD_CHROMEDRIVER="$(command -v chromedriver)"
export OFFCLOUD_CHROMIUM OFFCLOUD_CHROMEDRIVER
