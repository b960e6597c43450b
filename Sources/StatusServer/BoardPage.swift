/// The BLF board page (`GET /`): one lamp per AOR, for a wall screen. The lamps as they are come inside the
/// page (drawn before the load event, so a screenshot or a slow screen shows them at once); after loading it
/// follows `/board/events` (server-sent events). Lamps sit on a fixed grid (4 per row, 200×120 px from (16, 64), 216×136
/// apart) with the call lamp a 40 px disc at (20, 20) inside each and the message-waiting badge a 20 px square at
/// (168, 12): the end-to-end test reads those pixels from a Chromium screenshot.
enum BoardPage {
    /// The page with `lamps` (JSON) inside.
    static func html(lamps: String) -> String {
        template.replacingOccurrences(of: "INITIAL_LAMPS", with: lamps.replacingOccurrences(of: "</", with: "<\\/"))
    }

    static let template = #"""
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>Lamplighter BLF board</title>
    <style>
      html, body { margin: 0; background: #111111; color: #eeeeee; font: 14px sans-serif; overflow: hidden; }
      header { position: absolute; left: 16px; top: 12px; font-size: 20px; }
      #state { position: absolute; right: 16px; top: 16px; color: #999999; }
      .lamp { position: absolute; width: 200px; height: 120px; background: #222222; border-radius: 8px; }
      .dot { position: absolute; left: 20px; top: 20px; width: 40px; height: 40px; border-radius: 20px; }
      .aor { position: absolute; left: 72px; top: 28px; width: 120px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
      .mwi { position: absolute; left: 168px; top: 12px; width: 20px; height: 20px; background: #1565c0; }
      .lines { position: absolute; left: 20px; top: 76px; }
      .line { display: inline-block; width: 24px; height: 24px; margin-right: 6px; border-radius: 4px; text-align: center; line-height: 24px; font-size: 12px; color: #000000; }
      .offline { background: #616161; } .idle { background: #2e7d32; } .ringing { background: #f9a825; } .busy { background: #c62828; }
    </style>
    </head>
    <body>
    <header>Lamplighter</header><div id="state">connecting…</div>
    <div id="board"></div>
    <script>
    const board = document.getElementById('board');
    const state = document.getElementById('state');
    function render(lamps) {
      board.textContent = '';
      lamps.forEach((lamp, i) => {
        const el = document.createElement('div');
        el.className = 'lamp';
        el.dataset.aor = lamp.aor;
        el.dataset.state = lamp.state;
        el.style.left = (16 + (i % 4) * 216) + 'px';
        el.style.top = (64 + Math.floor(i / 4) * 136) + 'px';
        const dot = document.createElement('div');
        dot.className = 'dot ' + lamp.state;
        el.appendChild(dot);
        const name = document.createElement('div');
        name.className = 'aor';
        name.textContent = lamp.aor.replace(/^sips?:/, '');
        el.appendChild(name);
        if (lamp.messagesWaiting) { const mwi = document.createElement('div'); mwi.className = 'mwi'; el.appendChild(mwi); }
        const lines = document.createElement('div');
        lines.className = 'lines';
        (lamp.appearances || []).forEach(a => {
          const line = document.createElement('span');
          line.className = 'line ' + a.state;
          line.textContent = a.index;
          lines.appendChild(line);
        });
        el.appendChild(lines);
        board.appendChild(el);
      });
      state.textContent = lamps.length + ' lamps, ' + new Date().toLocaleTimeString();
    }
    render(INITIAL_LAMPS);
    window.addEventListener('load', () => setTimeout(() => {
      const events = new EventSource('/board/events');
      events.onmessage = e => render(JSON.parse(e.data));
      events.onerror = () => { state.textContent = 'reconnecting…'; };
    }, 1000));
    </script>
    </body>
    </html>
    """#
}
