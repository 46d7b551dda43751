# The admin page's browser tests (tests/browser) drive Debian's Chromium through its chromedriver
# with Selenium. `make test` installs both packages when they are missing (as root, with apt,
# once); otherwise it names them. Playwright's own browser builds cannot be downloaded here.
.PHONY: browser

browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || scripts/apt_install.sh chromium chromium-driver

test: browser
