/// <reference lib="dom" />
import { TableScroll } from "../components/TableScroll.tsx";
import { useLive } from "../live.ts";
import { usePolled } from "../poll.ts";
import type { RoomRow } from "../soc_queries.ts";

const REFRESH_MS = 5_000;

interface RoomsAnswer {
  rooms: RoomRow[];
  /** False for a KMS from before squad rooms. */
  supported: boolean;
}

function parseRooms(json: unknown): RoomsAnswer | null {
  const answer = json as { rooms?: unknown; supported?: unknown } | null;
  return Array.isArray(answer?.rooms)
    ? {
      rooms: answer.rooms as RoomRow[],
      supported: answer.supported !== false,
    }
    : null;
}

/**
 * The KMS's squad rooms (its `GET /rooms`, through this server with the
 * operator credential, which passes on only these fields): each room's
 * members out of its seats, its leader, its key epoch and whether every seat
 * is taken so it can key. Asked only while the KMS is reachable.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import RoomsPanel from "./RoomsPanel.tsx";
 *
 * assertStringIncludes(renderToString(<RoomsPanel initial />), "Asking the KMS for its rooms");
 * ```
 */
export default function RoomsPanel(props: { initial: boolean }) {
  const live = useLive(props.initial, (state) => state.kms === "live");
  const polled = usePolled(live ? "/api/rooms" : null, {
    intervalMs: REFRESH_MS,
    parse: parseRooms,
  });
  const rooms = polled.data?.rooms;
  return (
    <div data-testid="rooms-panel" data-rooms={rooms?.length ?? ""}>
      {polled.error && <p class="empty" role="status">Rooms: {polled.error}</p>}
      {!rooms && !polled.error && (
        <p class="empty">Asking the KMS for its rooms…</p>
      )}
      {polled.data && !polled.data.supported && (
        <p class="empty">This KMS has no squad rooms (it predates them).</p>
      )}
      {polled.data?.supported && rooms?.length === 0 && (
        <p class="empty">No rooms.</p>
      )}
      {rooms && rooms.length > 0 && (
        <TableScroll label="Rooms">
          <table>
            <thead>
              <tr>
                <th scope="col">Room</th>
                <th scope="col">Members</th>
                <th scope="col">Leader</th>
                <th scope="col">Epoch</th>
                <th scope="col">Ready</th>
              </tr>
            </thead>
            <tbody>
              {rooms.map((room) => (
                <tr key={room.room} data-room={room.room}>
                  <th scope="row">{room.room}</th>
                  <td>
                    {room.members.join(", ")} ({room.members.length}/
                    {room.expected})
                  </td>
                  <td>{room.leader}</td>
                  <td>{room.epoch}</td>
                  <td>{room.ready ? "yes" : "waiting for members"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </div>
  );
}
