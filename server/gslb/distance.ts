// Great-circle distance (haversine on a spherical Earth) and Route 53-style geoproximity bias.
import type { Location } from '../../zones/policy-types.js';

const EARTH_RADIUS_KM = 6371;
const rad = (deg: number) => (deg * Math.PI) / 180;

export function greatCircleKm(a: Location, b: Location): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** A positive bias (percent) makes a datacenter look closer, so it draws clients from farther away. */
export function biasedKm(km: number, bias: number): number {
  return km * (1 - bias / 100);
}
