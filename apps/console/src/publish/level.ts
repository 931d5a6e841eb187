/**
 * The microphone's loudness for the publish page's meter: an analyser on the captured track (not connected to
 * the speakers, so nothing echoes), read each animation frame as the RMS of the last samples, 0..1.
 */
export class MicrophoneLevel {
  private readonly context = new AudioContext();
  private readonly analyser = this.context.createAnalyser();
  private readonly samples: Float32Array<ArrayBuffer>;
  private frame = 0;
  // Browsers start audio only after a gesture: the first tap on the page (Start publishing, say).
  private readonly resume = () => void this.context.resume();

  constructor(track: MediaStreamTrack, onLevel: (level: number) => void) {
    window.addEventListener('pointerdown', this.resume, { once: true });
    this.analyser.fftSize = 1024;
    this.samples = new Float32Array(this.analyser.fftSize);
    this.context.createMediaStreamSource(new MediaStream([track])).connect(this.analyser);
    const read = () => {
      this.analyser.getFloatTimeDomainData(this.samples);
      let sum = 0;
      for (const s of this.samples) sum += s * s;
      // Speech sits around 0.01–0.1 RMS: the square root spreads it over the meter.
      onLevel(Math.min(1, Math.sqrt(Math.sqrt(sum / this.samples.length))));
      this.frame = requestAnimationFrame(read);
    };
    this.frame = requestAnimationFrame(read);
  }

  close(): void {
    window.removeEventListener('pointerdown', this.resume);
    cancelAnimationFrame(this.frame);
    void this.context.close();
  }
}
