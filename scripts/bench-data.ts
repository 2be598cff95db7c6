/**
 * Synthetic but realistic debtors for the benchmarks: Latin-script names with accents (weighted common
 * surnames plus a long tail of rare ones), Chinese names of 2–3 characters with surnames weighted by real
 * frequency, some businesses, plausible E.164 phones per country, emails derived from the name (pinyin for
 * Chinese names), one postal address, and an external reference. Deterministic for a given seed.
 */
import type { DebtorFields, RiskRating } from '../src/modules/debtors/debtor.model.js';

/** mulberry32: small, fast, good enough for test data. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(Math.floor(this.next() * 10));
    return s;
  }
}

/** Weighted choice in O(log n) over a cumulative table. */
export class Weighted<T> {
  private readonly cum: number[] = [];
  private readonly total: number;
  constructor(readonly items: readonly (readonly [T, number])[]) {
    let acc = 0;
    for (const [, w] of items) this.cum.push((acc += w));
    this.total = acc;
  }
  pick(rng: Rng): T {
    const x = rng.next() * this.total;
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cum[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo]![0];
  }
  /** Share of all draws that an item with weight w gets. */
  share(w: number): number {
    return w / this.total;
  }
}

// ---- Chinese names -------------------------------------------------------------------------------------

/** [surname, pinyin, share of population in %] — approximate published frequencies. */
const CN_SURNAMES: [string, string, number][] = [
  ['王', 'wang', 7.12], ['李', 'li', 7.19], ['张', 'zhang', 6.83], ['刘', 'liu', 5.38], ['陈', 'chen', 4.53],
  ['杨', 'yang', 3.08], ['黄', 'huang', 2.23], ['赵', 'zhao', 2.23], ['吴', 'wu', 2.05], ['周', 'zhou', 1.91],
  ['徐', 'xu', 1.48], ['孙', 'sun', 1.37], ['马', 'ma', 1.24], ['朱', 'zhu', 1.2], ['胡', 'hu', 1.15],
  ['郭', 'guo', 1.05], ['何', 'he', 1.0], ['高', 'gao', 0.97], ['林', 'lin', 0.95], ['罗', 'luo', 0.87],
  ['郑', 'zheng', 0.86], ['梁', 'liang', 0.84], ['谢', 'xie', 0.67], ['宋', 'song', 0.61], ['唐', 'tang', 0.6],
  ['许', 'xu', 0.56], ['韩', 'han', 0.55], ['冯', 'feng', 0.53], ['邓', 'deng', 0.52], ['曹', 'cao', 0.51],
  ['彭', 'peng', 0.49], ['曾', 'zeng', 0.48], ['肖', 'xiao', 0.47], ['田', 'tian', 0.45], ['董', 'dong', 0.44],
  ['袁', 'yuan', 0.43], ['潘', 'pan', 0.42], ['于', 'yu', 0.41], ['蒋', 'jiang', 0.4], ['蔡', 'cai', 0.39],
  ['余', 'yu', 0.38], ['杜', 'du', 0.37], ['叶', 'ye', 0.36], ['程', 'cheng', 0.35], ['苏', 'su', 0.34],
  ['魏', 'wei', 0.33], ['吕', 'lv', 0.32], ['丁', 'ding', 0.31], ['任', 'ren', 0.3], ['沈', 'shen', 0.29],
  ['姚', 'yao', 0.28], ['卢', 'lu', 0.27], ['姜', 'jiang', 0.26], ['崔', 'cui', 0.25], ['钟', 'zhong', 0.24],
  ['谭', 'tan', 0.23], ['陆', 'lu', 0.22], ['汪', 'wang', 0.21], ['范', 'fan', 0.2], ['金', 'jin', 0.19],
  ['石', 'shi', 0.18], ['廖', 'liao', 0.17], ['贾', 'jia', 0.16], ['夏', 'xia', 0.15], ['韦', 'wei', 0.14],
  ['付', 'fu', 0.13], ['方', 'fang', 0.12], ['白', 'bai', 0.11], ['邹', 'zou', 0.1], ['孟', 'meng', 0.1],
  ['熊', 'xiong', 0.1], ['秦', 'qin', 0.1], ['邱', 'qiu', 0.1], ['江', 'jiang', 0.1], ['尹', 'yin', 0.09],
  ['薛', 'xue', 0.09], ['闫', 'yan', 0.09], ['段', 'duan', 0.09], ['雷', 'lei', 0.09], ['侯', 'hou', 0.08],
  ['龙', 'long', 0.08], ['史', 'shi', 0.08], ['陶', 'tao', 0.08], ['黎', 'li', 0.08], ['贺', 'he', 0.08],
  ['顾', 'gu', 0.08], ['毛', 'mao', 0.07], ['郝', 'hao', 0.07], ['龚', 'gong', 0.07], ['邵', 'shao', 0.07],
  ['万', 'wan', 0.07], ['钱', 'qian', 0.07], ['严', 'yan', 0.07], ['欧阳', 'ouyang', 0.02], ['司马', 'sima', 0.005],
  ['诸葛', 'zhuge', 0.003],
];

/** [given-name character, pinyin, relative weight] */
const CN_GIVEN: [string, string, number][] = [
  ['伟', 'wei', 3], ['芳', 'fang', 2], ['娜', 'na', 2], ['敏', 'min', 2], ['静', 'jing', 2], ['丽', 'li', 2],
  ['强', 'qiang', 2], ['磊', 'lei', 2], ['军', 'jun', 2], ['洋', 'yang', 2], ['勇', 'yong', 2], ['艳', 'yan', 2],
  ['杰', 'jie', 2], ['娟', 'juan', 1.5], ['涛', 'tao', 1.5], ['明', 'ming', 1.5], ['超', 'chao', 1.5], ['秀', 'xiu', 1.5],
  ['英', 'ying', 1.5], ['霞', 'xia', 1.5], ['平', 'ping', 1.5], ['刚', 'gang', 1.5], ['桂', 'gui', 1], ['华', 'hua', 1.5],
  ['建', 'jian', 1.5], ['国', 'guo', 1.5], ['文', 'wen', 1.5], ['辉', 'hui', 1.5], ['玲', 'ling', 1.2], ['红', 'hong', 1.2],
  ['志', 'zhi', 1.2], ['海', 'hai', 1.2], ['燕', 'yan', 1.2], ['鹏', 'peng', 1], ['飞', 'fei', 1], ['斌', 'bin', 1],
  ['宇', 'yu', 1], ['浩', 'hao', 1], ['凯', 'kai', 1], ['婷', 'ting', 1], ['雪', 'xue', 1], ['琳', 'lin', 1],
  ['晨', 'chen', 1], ['欣', 'xin', 1], ['怡', 'yi', 1], ['佳', 'jia', 1], ['俊', 'jun', 1], ['博', 'bo', 1],
  ['子', 'zi', 1], ['梓', 'zi', 0.8], ['涵', 'han', 0.8], ['轩', 'xuan', 0.8], ['雨', 'yu', 0.8], ['萱', 'xuan', 0.8],
  ['晓', 'xiao', 1], ['小', 'xiao', 0.8], ['春', 'chun', 0.8], ['云', 'yun', 0.8], ['亮', 'liang', 0.8], ['峰', 'feng', 0.8],
  ['波', 'bo', 0.8], ['宁', 'ning', 0.6], ['琴', 'qin', 0.6], ['慧', 'hui', 0.8], ['淑', 'shu', 0.6], ['德', 'de', 0.6],
  ['成', 'cheng', 0.6], ['玉', 'yu', 0.8], ['兰', 'lan', 0.8], ['梅', 'mei', 0.8], ['龙', 'long', 0.6], ['鑫', 'xin', 0.6],
];

const cnSurnames = new Weighted(CN_SURNAMES.map(([c, p, w]) => [[c, p] as const, w] as const));
const cnGiven = new Weighted(CN_GIVEN.map(([c, p, w]) => [[c, p] as const, w] as const));

export const CN_SURNAME_CHARS = CN_SURNAMES.map(([c]) => c).filter((c) => c.length === 1);
export const CN_GIVEN_CHARS = CN_GIVEN.map(([c]) => c);

// ---- Latin names ---------------------------------------------------------------------------------------

interface Locale {
  country: string;
  lang: string;
  tz: string;
  weight: number;
  first: string[];
  last: string[];
  cities: [string, string | null][];
  streets: string[];
  domains: string[];
}

const LOCALES: Locale[] = [
  {
    country: 'US', lang: 'en-US', tz: 'America/New_York', weight: 14,
    first: ['James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Christopher', 'Karen', 'Daniel', 'Nancy', 'Matthew', 'Emily', 'Anthony', 'Ashley', 'Zoë', 'Renée', 'Chloé'],
    last: ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Anderson', 'Taylor', 'Thomas', 'Moore', 'Jackson', 'Martin', 'Lee', 'Thompson', 'White', 'Harris', 'Clark', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Hill', 'Green', 'Adams'],
    cities: [['New York', 'NY'], ['Chicago', 'IL'], ['Houston', 'TX'], ['Phoenix', 'AZ'], ['Philadelphia', 'PA'], ['San Diego', 'CA'], ['Dallas', 'TX'], ['Seattle', 'WA']],
    streets: ['Main St', 'Oak Ave', 'Maple Dr', 'Cedar Ln', 'Park Ave', 'Elm St', 'Washington Blvd', 'Lakeview Rd'],
    domains: ['gmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'example.com'],
  },
  {
    country: 'GB', lang: 'en-GB', tz: 'Europe/London', weight: 8,
    first: ['Oliver', 'Amelia', 'George', 'Isla', 'Harry', 'Ava', 'Jack', 'Olivia', 'Charlie', 'Emily', 'Noah', 'Sophie', 'Seán', 'Siobhán', 'Niamh', 'Eóin'],
    last: ['Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Evans', 'Thomas', 'Roberts', 'Walker', 'Wright', "O'Brien", 'Murphy', 'Kelly', 'Hughes', 'Edwards'],
    cities: [['London', null], ['Manchester', null], ['Birmingham', null], ['Leeds', null], ['Glasgow', null], ['Bristol', null]],
    streets: ['High Street', 'Station Road', 'Church Lane', 'Victoria Road', 'Mill Lane', 'Kings Road'],
    domains: ['gmail.com', 'hotmail.co.uk', 'btinternet.com', 'example.co.uk'],
  },
  {
    country: 'FR', lang: 'fr-FR', tz: 'Europe/Paris', weight: 7,
    first: ['Léa', 'Chloé', 'Manon', 'Inès', 'Camille', 'Hélène', 'Noémie', 'Gaëlle', 'François', 'Jérôme', 'Rémi', 'Sébastien', 'Théo', 'Loïc', 'André', 'Benoît', 'Cécile', 'Éric', 'Étienne', 'Zoé'],
    last: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Lefèvre', 'Lefebvre', 'Girard', 'Bonnet', 'Dupré', 'Fontaine', 'Gauthier', 'Mercier', 'Chevalier', 'Barthélemy', 'Lemaître'],
    cities: [['Paris', null], ['Lyon', null], ['Marseille', null], ['Toulouse', null], ['Nice', null], ['Nantes', null], ['Montpellier', null]],
    streets: ['Rue de la République', 'Avenue Jean Jaurès', 'Rue Victor Hugo', 'Boulevard Pasteur', 'Rue des Écoles', 'Place de l’Église'],
    domains: ['orange.fr', 'free.fr', 'gmail.com', 'laposte.net', 'example.fr'],
  },
  {
    country: 'DE', lang: 'de-DE', tz: 'Europe/Berlin', weight: 7,
    first: ['Jürgen', 'Günter', 'Jörg', 'Björn', 'Uwe', 'Lukas', 'Maximilian', 'Felix', 'Sophie', 'Marie', 'Hannah', 'Lena', 'Käthe', 'Anneliese', 'Sören', 'Mia'],
    last: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Schäfer', 'Koch', 'Bauer', 'Richter', 'Klein', 'Wolf', 'Schröder', 'Neumann', 'Schwarz', 'Zimmermann', 'Krüger', 'Böhm', 'Weiß'],
    cities: [['Berlin', null], ['Hamburg', null], ['München', 'BY'], ['Köln', null], ['Frankfurt am Main', 'HE'], ['Stuttgart', 'BW'], ['Düsseldorf', null]],
    streets: ['Hauptstraße', 'Schulstraße', 'Gartenstraße', 'Bahnhofstraße', 'Lindenweg', 'Goethestraße'],
    domains: ['gmx.de', 'web.de', 't-online.de', 'gmail.com', 'example.de'],
  },
  {
    country: 'ES', lang: 'es-ES', tz: 'Europe/Madrid', weight: 7,
    first: ['José', 'María', 'Jesús', 'Ángel', 'Raúl', 'Sofía', 'Lucía', 'Martín', 'Inés', 'Álvaro', 'Núria', 'Iñaki', 'Mónica', 'Andrés', 'Begoña', 'Íñigo'],
    last: ['García', 'Fernández', 'González', 'Rodríguez', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez', 'Martín', 'Jiménez', 'Ruiz', 'Hernández', 'Díaz', 'Moreno', 'Muñoz', 'Álvarez', 'Romero', 'Núñez', 'Ibáñez'],
    cities: [['Madrid', null], ['Barcelona', null], ['Valencia', null], ['Sevilla', null], ['Zaragoza', null], ['Málaga', null], ['Bilbao', null]],
    streets: ['Calle Mayor', 'Avenida de la Constitución', 'Calle Real', 'Plaza de España', 'Calle del Sol', 'Paseo de Gracia'],
    domains: ['gmail.com', 'hotmail.es', 'telefonica.net', 'example.es'],
  },
  {
    country: 'MX', lang: 'es-MX', tz: 'America/Mexico_City', weight: 5,
    first: ['José', 'Juan', 'Luis', 'Guadalupe', 'María', 'Valentina', 'Ximena', 'Santiago', 'Sebastián', 'Mateo', 'Regina', 'Ramón'],
    last: ['Hernández', 'García', 'Martínez', 'López', 'González', 'Pérez', 'Rodríguez', 'Sánchez', 'Ramírez', 'Cruz', 'Flores', 'Gómez', 'Vázquez', 'Jiménez'],
    cities: [['Ciudad de México', 'CDMX'], ['Guadalajara', 'JAL'], ['Monterrey', 'NL'], ['Puebla', 'PUE'], ['Tijuana', 'BC']],
    streets: ['Avenida Insurgentes', 'Calle Hidalgo', 'Calle Juárez', 'Paseo de la Reforma', 'Calle Morelos'],
    domains: ['gmail.com', 'hotmail.com', 'prodigy.net.mx', 'example.mx'],
  },
  {
    country: 'BR', lang: 'pt-BR', tz: 'America/Sao_Paulo', weight: 5,
    first: ['João', 'Maria', 'Antônio', 'Francisco', 'Ana', 'Luís', 'Gabriel', 'Júlia', 'Beatriz', 'Conceição', 'Sebastião', 'Letícia'],
    last: ['Silva', 'Santos', 'Oliveira', 'Souza', 'Rodrigues', 'Ferreira', 'Alves', 'Pereira', 'Lima', 'Gomes', 'Araújo', 'Conceição', 'Magalhães', 'Simões'],
    cities: [['São Paulo', 'SP'], ['Rio de Janeiro', 'RJ'], ['Belo Horizonte', 'MG'], ['Salvador', 'BA'], ['Curitiba', 'PR'], ['Brasília', 'DF']],
    streets: ['Rua das Flores', 'Avenida Brasil', 'Rua São João', 'Avenida Paulista', 'Rua XV de Novembro'],
    domains: ['gmail.com', 'uol.com.br', 'bol.com.br', 'example.com.br'],
  },
  {
    country: 'IT', lang: 'it-IT', tz: 'Europe/Rome', weight: 4,
    first: ['Giulia', 'Francesca', 'Alessandro', 'Lorenzo', 'Niccolò', 'Matteo', 'Chiara', 'Federica', 'Nicolò', 'Sofia'],
    last: ['Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco', 'Bruno', 'Gallo', 'Conti', 'De Luca', 'Mancini', 'Lombardi'],
    cities: [['Roma', null], ['Milano', null], ['Napoli', null], ['Torino', null], ['Firenze', null], ['Bologna', null]],
    streets: ['Via Roma', 'Via Garibaldi', 'Corso Italia', 'Via Dante', 'Via Mazzini'],
    domains: ['libero.it', 'gmail.com', 'virgilio.it', 'example.it'],
  },
  {
    country: 'PL', lang: 'pl-PL', tz: 'Europe/Warsaw', weight: 3,
    first: ['Łukasz', 'Paweł', 'Michał', 'Wojciech', 'Agnieszka', 'Małgorzata', 'Zofia', 'Katarzyna', 'Jędrzej', 'Bożena'],
    last: ['Nowak', 'Kowalski', 'Wiśniewski', 'Wójcik', 'Kowalczyk', 'Kamiński', 'Lewandowski', 'Zieliński', 'Szymański', 'Woźniak', 'Dąbrowski'],
    cities: [['Warszawa', null], ['Kraków', null], ['Łódź', null], ['Wrocław', null], ['Poznań', null], ['Gdańsk', null]],
    streets: ['ul. Marszałkowska', 'ul. Floriańska', 'ul. Długa', 'ul. Piotrkowska', 'ul. Świętojańska'],
    domains: ['wp.pl', 'onet.pl', 'gmail.com', 'example.pl'],
  },
  {
    country: 'TR', lang: 'tr-TR', tz: 'Europe/Istanbul', weight: 2,
    first: ['Mehmet', 'Ayşe', 'Fatma', 'Mustafa', 'Emine', 'Çağla', 'Gökhan', 'Şule', 'Ömer', 'İbrahim'],
    last: ['Yılmaz', 'Kaya', 'Demir', 'Şahin', 'Çelik', 'Yıldız', 'Yıldırım', 'Öztürk', 'Aydın', 'Özdemir', 'Arslan', 'Doğan'],
    cities: [['İstanbul', null], ['Ankara', null], ['İzmir', null], ['Bursa', null], ['Antalya', null]],
    streets: ['İstiklal Caddesi', 'Atatürk Bulvarı', 'Cumhuriyet Caddesi', 'Bağdat Caddesi'],
    domains: ['gmail.com', 'hotmail.com', 'yandex.com.tr', 'example.com.tr'],
  },
  {
    country: 'VN', lang: 'vi-VN', tz: 'Asia/Ho_Chi_Minh', weight: 3,
    first: ['Văn An', 'Thị Hoa', 'Minh Tuấn', 'Thị Lan', 'Quốc Bảo', 'Ngọc Ánh', 'Đức Anh', 'Thu Hương', 'Hoàng Nam'],
    last: ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ'],
    cities: [['Hà Nội', null], ['Thành phố Hồ Chí Minh', null], ['Đà Nẵng', null], ['Hải Phòng', null], ['Cần Thơ', null]],
    streets: ['Phố Tràng Tiền', 'Đường Lê Lợi', 'Đường Nguyễn Huệ', 'Phố Hàng Bạc', 'Đường Trần Hưng Đạo'],
    domains: ['gmail.com', 'yahoo.com.vn', 'example.vn'],
  },
  {
    country: 'DK', lang: 'da-DK', tz: 'Europe/Copenhagen', weight: 2,
    first: ['Søren', 'Mette', 'Jørgen', 'Bjørn', 'Åse', 'Freja', 'Mads', 'Ida', 'Rasmus', 'Sørine'],
    last: ['Nielsen', 'Jensen', 'Hansen', 'Pedersen', 'Andersen', 'Christensen', 'Larsen', 'Sørensen', 'Rasmussen', 'Jørgensen', 'Møller', 'Østergaard'],
    cities: [['København', null], ['Aarhus', null], ['Odense', null], ['Aalborg', null]],
    streets: ['Strøget', 'Nørregade', 'Vestergade', 'Østerbrogade', 'Algade'],
    domains: ['gmail.com', 'mail.dk', 'example.dk'],
  },
];
const locales = new Weighted(LOCALES.map((l) => [l, l.weight] as const));

/**
 * The long tail: surnames assembled from syllables, so most occur a few dozen times in a million rows.
 * A "rare name" search picks one of these.
 */
const TAIL_ONSET = ['Bal', 'Cor', 'Dra', 'Fen', 'Gal', 'Hol', 'Kra', 'Lun', 'Mar', 'Nor', 'Pel', 'Quin', 'Ros', 'Sav', 'Tor', 'Val', 'Wes', 'Zan', 'Ask', 'Brü', 'Ché', 'Dal', 'Ern', 'Fjo', 'Gar', 'Hav', 'Isk', 'Jov', 'Kel', 'Lév', 'Mön', 'Nyk', 'Orv', 'Pál', 'Rød', 'Sté', 'Tyr', 'Ulv', 'Vár', 'Wyn'];
const TAIL_MID = ['a', 'e', 'i', 'o', 'u', 'ae', 'ie', 'ou', 'en', 'ar', 'el', 'ó'];
const TAIL_CODA = ['berg', 'court', 'dottir', 'ević', 'escu', 'ford', 'holm', 'ini', 'kov', 'lund', 'mann', 'nen', 'ová', 'quist', 'rup', 'ski', 'stein', 'ton', 'wick', 'zak', 'ández', 'eau'];
export const TAIL_SURNAMES: string[] = (() => {
  const out: string[] = [];
  for (const a of TAIL_ONSET) for (const b of TAIL_MID) for (const c of TAIL_CODA) out.push(a + b + c);
  return out;
})();

// ---- Businesses ----------------------------------------------------------------------------------------

const CN_CITIES: [string, string, string][] = [
  ['北京', '北京市', '朝阳区建国路'], ['上海', '上海市', '浦东新区世纪大道'], ['广州', '广州市', '天河区体育西路'], ['深圳', '深圳市', '南山区科技园南路'],
  ['杭州', '杭州市', '西湖区文三路'], ['成都', '成都市', '锦江区春熙路'], ['武汉', '武汉市', '江汉区解放大道'], ['南京', '南京市', '鼓楼区中山路'],
  ['西安', '西安市', '雁塔区小寨路'], ['重庆', '重庆市', '渝中区解放碑'], ['天津', '天津市', '和平区南京路'], ['苏州', '苏州市', '姑苏区人民路'],
];
const CN_TRADE_WORDS = ['华信', '明远', '恒通', '鑫达', '宏泰', '金源', '瑞丰', '盛世', '新元', '永安', '博雅', '天成', '嘉禾', '东方', '安泰'];
const CN_TRADE_KIND = ['商贸', '物流', '科技', '建材', '餐饮', '贸易', '电子', '服装'];
const LATIN_BIZ_KIND = ['Trading', 'Logistics', 'Consulting', 'Construction', 'Foods', 'Textiles', 'Motors', 'Systems'];
const LATIN_BIZ_FORM: Record<string, string> = { US: 'LLC', GB: 'Ltd', FR: 'SARL', DE: 'GmbH', ES: 'S.L.', MX: 'S.A. de C.V.', BR: 'Ltda.', IT: 'S.r.l.', PL: 'Sp. z o.o.', TR: 'A.Ş.', VN: 'TNHH', DK: 'ApS' };

// ---- Phones --------------------------------------------------------------------------------------------

const CN_MOBILE_PREFIX = ['130', '131', '132', '133', '134', '135', '136', '137', '138', '139', '150', '151', '152', '153', '155', '156', '157', '158', '159', '180', '181', '182', '183', '185', '186', '187', '188', '189', '198', '199'];
const US_AREA = ['201', '212', '213', '305', '312', '347', '415', '469', '512', '617', '646', '702', '713', '718', '773', '808', '917', '206', '303', '404'];

export function phoneFor(country: string, rng: Rng): string {
  switch (country) {
    case 'CN': return `+86${rng.pick(CN_MOBILE_PREFIX)}${rng.digits(8)}`;
    case 'HK': return `+852${rng.pick(['5', '6', '9'])}${rng.digits(7)}`;
    case 'TW': return `+8869${rng.digits(8)}`;
    case 'US': return `+1${rng.pick(US_AREA)}${rng.int(2, 9)}${rng.int(2, 9)}${rng.digits(1)}${rng.digits(4)}`;
    case 'GB': return `+447${rng.pick(['7', '8', '9'])}${rng.digits(8)}`;
    case 'FR': return `+336${rng.digits(8)}`;
    case 'DE': return `+49${rng.pick(['151', '152', '160', '170', '171', '172', '175', '176'])}${rng.digits(8)}`;
    case 'ES': return `+346${rng.digits(8)}`;
    case 'MX': return `+52${rng.pick(['55', '33', '81'])}${rng.int(1, 9)}${rng.digits(7)}`;
    case 'BR': return `+55${rng.pick(['11', '21', '31', '41', '61', '71'])}9${rng.int(6, 9)}${rng.digits(7)}`;
    case 'IT': return `+393${rng.int(2, 9)}${rng.digits(8)}`;
    case 'PL': return `+48${rng.pick(['50', '51', '60', '66', '69', '72', '78', '88'])}${rng.digits(7)}`;
    case 'TR': return `+905${rng.pick(['30', '32', '33', '35', '42', '44', '53', '55'])}${rng.digits(7)}`;
    case 'VN': return `+84${rng.pick(['90', '91', '93', '96', '97', '98'])}${rng.digits(7)}`;
    case 'DK': return `+45${rng.int(2, 9)}${rng.digits(7)}`;
    default: return `+1${rng.pick(US_AREA)}${rng.int(2, 9)}${rng.digits(6)}`;
  }
}

/** The contact point search value exactly as the app computes it (debtor.validation.ts). */
export function phoneSearchValue(e164: string): string {
  return [...e164.replace(/\D/g, '')].reverse().join('');
}
export function emailSearchValue(email: string): string {
  return email.toLowerCase();
}

/** ASCII for an email local part: accents folded, anything else dropped. */
function asciiSlug(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[łŁ]/g, 'l')
    .replace(/[øØ]/g, 'o')
    .replace(/[ıİ]/g, 'i')
    .replace(/[đĐ]/g, 'd')
    .replace(/[ß]/g, 'ss')
    .replace(/[^A-Za-z0-9]+/g, '')
    .toLowerCase();
}

// ---- Debtors -------------------------------------------------------------------------------------------

const TAGS = ['retail', 'sme', 'card', 'utility', 'telecom', 'priority', 'bnpl', 'auto-loan', 'mortgage', 'student'];
const RISKS: (RiskRating | null)[] = ['low', 'medium', 'high', 'critical', null, null];

export interface GeneratedDebtor {
  fields: DebtorFields & { legalName: string; displayName: string | null };
  /** 'latin' | 'chinese' person, or business */
  script: 'latin' | 'chinese';
  /** Tail surname used, if any (for "rare name" queries). */
  tail: string | null;
}

export class DebtorGenerator {
  readonly rng: Rng;
  private refCounter = 0;
  constructor(seed = 20240601, private readonly refPrefix = 'AR') {
    this.rng = new Rng(seed);
  }

  /** A unique, realistic external reference: AR-<year>-<7 digits>. */
  nextRef(): string {
    const n = ++this.refCounter;
    return `${this.refPrefix}-${2019 + (n % 6)}-${String(n).padStart(7, '0')}`;
  }

  next(): GeneratedDebtor {
    const r = this.rng;
    const roll = r.next();
    const business = roll < 0.05;
    const chinese = business ? r.chance(0.5) : roll < 0.05 + 0.4;
    return chinese ? this.chinese(business) : this.latin(business);
  }

  private common(country: string, lang: string, tz: string, business: boolean) {
    const r = this.rng;
    const year = r.int(1950, 2003);
    return {
      preferredLanguage: lang,
      timeZone: tz,
      dateOfBirth: business ? null : `${year}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`,
      deceased: r.chance(0.004),
      bankrupt: r.chance(0.01),
      ceaseCommunication: r.chance(0.02),
      vulnerable: r.chance(0.03),
      tags: r.chance(0.6) ? [...new Set([r.pick(TAGS), ...(r.chance(0.3) ? [r.pick(TAGS)] : [])])] : [],
      notes: r.chance(0.1) ? r.pick(['Prefers contact in the evening, local time.', 'Disputes the late fee; see email of 3 March.', 'Payment plan agreed: monthly instalments.', 'Requested written correspondence only.']) : null,
      riskRating: r.pick(RISKS),
      externalRef: r.chance(0.9) ? this.nextRef() : null,
      yearOfBirth: year,
    };
  }

  private chinese(business: boolean): GeneratedDebtor {
    const r = this.rng;
    const region = r.next();
    const country = region < 0.88 ? 'CN' : region < 0.94 ? 'HK' : 'TW';
    const tz = country === 'CN' ? 'Asia/Shanghai' : country === 'HK' ? 'Asia/Hong_Kong' : 'Asia/Taipei';
    const lang = country === 'CN' ? 'zh-CN' : country === 'HK' ? 'zh-HK' : 'zh-TW';
    const [cityShort, city, street] = country === 'HK' ? (['香港', '香港', '九龍彌敦道'] as const) : country === 'TW' ? (['台北', '台北市', '信義區市府路'] as const) : r.pick(CN_CITIES);
    const c = this.common(country, lang, tz, business);
    let legalName: string;
    let displayName: string | null = null;
    let emailLocal: string;
    if (business) {
      const word = r.pick(CN_TRADE_WORDS);
      const kind = r.pick(CN_TRADE_KIND);
      legalName = `${cityShort}${word}${kind}有限公司`;
      displayName = `${word}${kind}`;
      emailLocal = r.pick(['finance', 'ap', 'accounts', 'caiwu']);
    } else {
      const [sn, snPy] = cnSurnames.pick(r);
      const g1 = cnGiven.pick(r);
      const two = r.chance(0.55);
      const g2 = two ? cnGiven.pick(r) : null;
      legalName = sn + g1[0] + (g2 ? g2[0] : '');
      const givenPy = g1[1] + (g2 ? g2[1] : '');
      emailLocal = r.chance(0.5) ? `${snPy}${givenPy}${r.chance(0.6) ? String(c.yearOfBirth % 100).padStart(2, '0') : r.int(1, 999)}` : r.chance(0.5) ? `${snPy}.${givenPy}${r.int(1, 9999)}` : String(r.int(100000, 2999999999));
      if (country === 'HK' && r.chance(0.5)) displayName = `${givenPy[0]!.toUpperCase()}${givenPy.slice(1)} ${snPy[0]!.toUpperCase()}${snPy.slice(1)}`;
    }
    const domain = /^\d+$/.test(emailLocal) ? 'qq.com' : r.pick(['163.com', '126.com', 'qq.com', 'sina.com', 'gmail.com', 'example.cn']);
    return {
      script: 'chinese',
      tail: null,
      fields: {
        kind: business ? 'business' : 'person',
        legalName,
        displayName,
        ...this.contacts(country, emailLocal, business ? `${asciiSlug(legalName) || 'corp'}${r.int(1, 99)}.example.cn` : domain),
        addresses: [{ label: business ? 'registered' : 'home', line1: `${street}${r.int(1, 300)}号`, line2: r.chance(0.4) ? `${r.int(1, 30)}栋${r.int(101, 2805)}室` : null, city, region: null, postalCode: String(r.int(100000, 850000)), country }],
        ...stripYear(c),
      },
    };
  }

  private latin(business: boolean): GeneratedDebtor {
    const r = this.rng;
    const loc = locales.pick(r);
    const c = this.common(loc.country, loc.lang, loc.tz, business);
    const useTail = r.chance(0.3);
    const last = useTail ? r.pick(TAIL_SURNAMES) : r.pick(loc.last);
    const first = r.pick(loc.first);
    const [city, region] = r.pick(loc.cities);
    let legalName: string;
    let displayName: string | null = null;
    let emailLocal: string;
    let domain = r.pick(loc.domains);
    if (business) {
      legalName = `${last} ${r.pick(LATIN_BIZ_KIND)} ${LATIN_BIZ_FORM[loc.country] ?? 'Ltd'}`;
      if (r.chance(0.5)) displayName = `${last} ${legalName.split(' ')[1]}`;
      emailLocal = r.pick(['accounts', 'ap', 'billing', 'finance']);
      domain = `${asciiSlug(last)}${r.int(1, 99)}.example.com`;
    } else {
      // Vietnamese order is family name first; everyone else given name first.
      legalName = loc.country === 'VN' ? `${last} ${first}` : r.chance(0.08) ? `${first} ${r.pick(loc.first)} ${last}` : `${first} ${last}`;
      if (r.chance(0.05)) displayName = `${first.split(' ')[0]} ${last[0]}.`;
      const f = asciiSlug(first);
      const l = asciiSlug(last);
      const style = r.int(0, 3);
      emailLocal = style === 0 ? `${f}.${l}` : style === 1 ? `${f}${l}${r.int(1, 99)}` : style === 2 ? `${f[0]}${l}${c.yearOfBirth % 100}` : `${f}_${l}${r.int(100, 999)}`;
      if (r.chance(0.3)) emailLocal = emailLocal.charAt(0).toUpperCase() + emailLocal.slice(1);
    }
    return {
      script: 'latin',
      tail: useTail ? last : null,
      fields: {
        kind: business ? 'business' : 'person',
        legalName,
        displayName,
        ...this.contacts(loc.country, emailLocal, domain),
        addresses: [{ label: business ? 'registered' : 'home', line1: `${r.int(1, 250)} ${r.pick(loc.streets)}`, line2: r.chance(0.2) ? `Apt ${r.int(1, 40)}` : null, city, region, postalCode: loc.country === 'GB' ? `${r.pick(['SW', 'M', 'B', 'LS', 'G', 'BS'])}${r.int(1, 20)} ${r.int(1, 9)}${r.pick(['AB', 'DE', 'HX', 'QT', 'NW'])}` : r.digits(5), country: loc.country }],
        ...stripYear(c),
      },
    };
  }

  /** ~1.5 contact points per debtor: every debtor a phone (15% a second), 35% an email. */
  private contacts(country: string, emailLocal: string, domain: string) {
    const r = this.rng;
    const phones = [{ value: phoneFor(country, r), label: 'mobile' }];
    if (r.chance(0.15)) phones.push({ value: phoneFor(country, r), label: r.pick(['home', 'work']) });
    const emails = r.chance(0.35) ? [{ value: `${emailLocal}@${domain}`, label: r.pick(['personal', 'work', null]) }] : [];
    return { phones, emails };
  }
}

function stripYear<T extends { yearOfBirth: number }>(c: T): Omit<T, 'yearOfBirth'> {
  const { yearOfBirth: _y, ...rest } = c;
  return rest;
}
