// The server's live stream (Server-Sent Events). EventSource reconnects by itself after a dropped connection;
// when the server refuses outright (the stream is full), we retry later and the page polls meanwhile.

export function connectStream({ events, onStatus, onReopen }) {
  let first = true;
  let source = null;

  function open() {
    source = new EventSource('/api/v1/stream');
    source.addEventListener('open', () => {
      onStatus('live');
      // after a gap, events may have been missed: reload the current state once
      if (!first) onReopen();
      first = false;
    });
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) {
        onStatus('offline');
        first = false;
        setTimeout(open, 5000);
      } else {
        onStatus('reconnecting');
      }
    });
    for (const [name, handle] of Object.entries(events)) {
      source.addEventListener(name, (message) => {
        let data;
        try {
          data = JSON.parse(message.data);
        } catch {
          return;
        }
        handle(data);
      });
    }
  }

  open();
  return () => source && source.close();
}
