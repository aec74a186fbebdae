// For `npm run bench` only: consumes the INBOX queue and acknowledges everything, so the ack path is
// measured with a live consumer (the local queue slows down when messages pile up unconsumed) but
// without the pipeline's own work competing for the same cores, as it would not when deployed.
export default {
  async fetch() {
    return new Response("bench drain worker", { status: 404 });
  },
  async queue(batch) {
    batch.ackAll();
  },
};
