"""``backprop playground``: the local web page that trains a network while you watch."""

from __future__ import annotations

import argparse
import errno
import sys
import threading

from ._paths import check_command_paths

EXAMPLES = """examples:
  backprop playground                      # opens http://127.0.0.1:8000/ in your browser
  backprop playground --port 8080 --no-browser
  backprop playground --data measurements.csv
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "playground",
        help="watch backpropagation train a network in your browser, every equation one click away",
        description="Start a local web server with the backprop playground and open it in the browser: pick a "
        "data set (or upload a CSV), shape the network, press play, and click any weight, bias or neuron to see "
        "the course's forward and backward equations with the engine's numbers. Works offline: every asset is "
        "served by the package. Ctrl-C stops it.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser; just print the address")
    p.add_argument("--data", metavar="FILE.csv", help="start with this CSV file (numeric features, target last)")
    p.add_argument("--target", help="the CSV's target column (name or index; default the last)")
    p.add_argument("--verbose", action="store_true", help="log every request")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..playground.server import limit_blas_threads, make_server
    from ..playground.session import Session, parse_csv

    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port: expected a port in [0, 65535], received {args.port}")
    check_command_paths(args, data=("data",), positional=())  # a regular, readable file (no FIFO)
    csv = None
    if args.data:
        with open(args.data, encoding="utf-8-sig") as f:
            text = f.read()
        target = int(args.target) if args.target is not None and args.target.lstrip("-").isdigit() else args.target
        csv = parse_csv(text, target)
    limit_blas_threads()
    session = Session(csv=csv)
    try:
        server = make_server(args.host, args.port, session, verbose=args.verbose)
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            why = "is busy (address already in use)" if exc.errno == errno.EADDRINUSE else "needs permissions you lack"
            print(f"backprop playground: error: port {args.port} on {args.host} {why}; "
                  "choose another with --port (0 picks a free one)", file=sys.stderr)
            return 2
        print(f"backprop playground: error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    url = server.url
    print(f"backprop playground at {url}  (Ctrl-C stops it)", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("note: listening beyond this computer; anyone who can reach it can use the page", flush=True)
    if not args.no_browser:
        import webbrowser

        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("\nbackprop playground: stopped", flush=True)
    finally:
        server.server_close()
    return 0
