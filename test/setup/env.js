// n8n's logger prints every failed item (tests cause many on purpose). The tests assert on
// errors and outputs directly, so keep its console quiet; a failing test still prints jest's report.
process.env.N8N_LOG_LEVEL = process.env.N8N_LOG_LEVEL || 'silent';
// The sandbox draws 1024-pixel pictures for people; tests need only small ones.
process.env.SANDBOX_IMAGE_SIZE = process.env.SANDBOX_IMAGE_SIZE || '128';
