// The webhook endpoint and signature check from the original design document, unchanged between
// the ORIGINAL markers. Around them: the glue a test needs (what updateUI and downloadVideo do,
// a results endpoint, the port). Run: PORT=... WEBHOOK_SECRET=... node receiver.mjs
import express from 'express';
import crypto from 'crypto';

const app = express();
const accepted = [];
let rejected = 0;
const updateUI = (message) => accepted[accepted.length - 1].ui.push(message);
const downloadVideo = (url) => accepted[accepted.length - 1].downloads.push(url);
app.use((req, res, next) => {
  res.on('finish', () => { if (res.statusCode === 401) rejected += 1; });
  if (req.method === 'POST') accepted.push({ body: null, ui: [], downloads: [] });
  next();
});
app.get('/results', (req, res) => res.json({ accepted: accepted.filter((a) => a.body), rejected }));
app.post('/webhooks/sora-status', express.json(), (req, res, next) => {
  accepted[accepted.length - 1].body = req.body;
  next();
});

// ORIGINAL: "2. Create a Webhook Endpoint"
app.post('/webhooks/sora-status', express.json(), async (req, res) => {
  // Verify webhook signature (optional but recommended)
  const signature = req.headers['x-signature'];
  const timestamp = req.headers['x-timestamp'];
  
  if (!verifySignature(req.body, signature, timestamp)) {
    return res.status(401).json({ error: 'Invalid signature' });
  }
  
  const { jobId, status, progress, videoUrl, error } = req.body;
  
  console.log(`Job ${jobId}: ${status} (${progress}%)`);
  
  switch (status) {
    case 'queued':
      updateUI('Video queued for processing');
      break;
      
    case 'processing':
      updateUI(`Processing: ${progress}%`);
      break;
      
    case 'completed':
      updateUI(`Done! Video: ${videoUrl}`);
      // Download or play the video
      downloadVideo(videoUrl);
      break;
      
    case 'failed':
      updateUI(`Failed: ${error}`);
      break;
  }
  
  res.json({ ok: true });
});

// ORIGINAL: "3. Verify Webhook Signature"
function verifySignature(payload, signature, timestamp) {
  const webhookSecret = process.env.WEBHOOK_SECRET;
  const body = JSON.stringify(payload);
  
  const computed = crypto
    .createHmac('sha256', webhookSecret)
    .update(body)
    .digest('hex');
  
  return computed === signature;
}
// END ORIGINAL

const server = app.listen(Number(process.env.PORT), '127.0.0.1', () =>
  console.log(`original client receiver on ${server.address().port}`));
