/**
 * Renders the consult's authCodeForm text (or the authorization URL) as a QR image the customer scans with the
 * wallet app. Error correction M: survives a smudged screen photo without growing the code much.
 */
import QRCode from 'qrcode';

export type QrFormat = 'svg' | 'png';

export const QR_CONTENT_TYPES: Readonly<Record<QrFormat, string>> = {
  svg: 'image/svg+xml; charset=utf-8',
  png: 'image/png',
};

export async function renderQr(text: string, format: QrFormat): Promise<string | Buffer> {
  const options = { errorCorrectionLevel: 'M' as const, margin: 2 };
  if (format === 'svg') return QRCode.toString(text, { ...options, type: 'svg' });
  return QRCode.toBuffer(text, { ...options, type: 'png', width: 320 });
}
