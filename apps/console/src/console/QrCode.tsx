import QRCode from 'qrcode';
import { useEffect, useState } from 'react';

/** A QR code of a link, for a phone's camera to open it. */
export function QrCode({ text, label }: { text: string; label: string }) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    let current = true;
    QRCode.toDataURL(text, { margin: 1, width: 176, errorCorrectionLevel: 'M' }).then(
      (url) => current && setSrc(url),
      () => current && setSrc(undefined),
    );
    return () => {
      current = false;
    };
  }, [text]);
  return src ? <img className="qr" src={src} alt={label} width={176} height={176} /> : null;
}
