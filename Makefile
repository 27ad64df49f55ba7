# Two commands from a fresh clone (Swift 6 toolchain on Debian/Ubuntu):
#   make serve   install missing Debian libraries, build release, serve the built-in model on port 8080
#   make test    the test suite, as CI runs it (.ci/run)
HOST ?= 127.0.0.1
PORT ?= 8080
# Release with -enable-testing: the model tests run real networks, and the test build reuses these objects.
BUILD = swift build -c release -Xswiftc -enable-testing --product argus
TEST = swift test -c release -Xswiftc -enable-testing

.PHONY: serve build test deps

serve: build
	@echo "argus: serving the built-in YOLOX-Nano on http://$(HOST):$(PORT); in another terminal:"
	@echo "  curl -F image=@photo.jpg http://$(HOST):$(PORT)/detect"
	.build/release/argus serve --host $(HOST) --port $(PORT)

build: deps
	$(BUILD)

test: deps
	$(BUILD)
	$(TEST)

deps:
	@sh tools/install_deps.sh
